"""Golden numbers for tests/nn/test_optim.py and tests/nn/test_lr_scheduler.py, from real PyTorch (float64).

Not part of the test suite: run it with a Python that has torch installed and
paste what it prints into the tests.
"""
import torch
from torch.nn.utils import clip_grad_norm_, clip_grad_value_
from torch.optim import SGD, Adagrad, Adam, AdamW, RMSprop
from torch.optim import lr_scheduler as S

torch.set_default_dtype(torch.float64)
print("# torch", torch.__version__)

START = [0.5, -1.25, 2.0]
GRADS = [
    [0.3, -1.2, 0.05],
    [0.25, -0.9, 0.0],
    [-0.4, -0.5, 0.1],
    [0.1, 0.2, -0.3],
    [0.0, 0.8, 0.2],
    [-0.15, 1.1, 0.0],
    [0.6, -0.3, -0.05],
    [0.35, 0.0, 0.4],
    [-0.2, -0.7, 0.25],
    [0.05, 0.45, -0.6],
]
CLASSES = {"SGD": SGD, "Adagrad": Adagrad, "RMSprop": RMSprop, "Adam": Adam, "AdamW": AdamW}
SETTINGS = [
    ("SGD", {}),
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.01, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.2, "eps": 1e-6}),
    ("Adagrad", {"lr": 0.1, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.8}),
    ("RMSprop", {"centered": True, "weight_decay": 0.05}),
    ("RMSprop", {"lr": 0.02, "centered": True, "momentum": 0.5, "maximize": True, "eps": 1e-4}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.02, "amsgrad": True, "maximize": True, "weight_decay": 0.05, "eps": 1e-6}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "betas": (0.5, 0.9), "maximize": True}),
]
LOSS_SETTINGS = [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", {"lr": 0.1}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.3}),
    ("Adam", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "amsgrad": True}),
]


def loss(p0, p1, p2):
    return (p0 - 1) ** 2 + 0.5 * (p1 * p2 - 0.3) ** 2 + 0.1 * p2 ** 4


def params():
    return [torch.tensor(x, requires_grad=True) for x in START]


def state_of(opt):
    sd = opt.state_dict()["state"]
    return {i: {k: float(v) for k, v in s.items()} for i, s in sorted(sd.items())}


def run_fixed(opt, ps):
    traj = []
    for g in GRADS:
        for p, gi in zip(ps, g, strict=True):
            p.grad = torch.tensor(gi)
        opt.step()
        traj.append([p.item() for p in ps])
    return traj


def run_loss(opt, ps):
    traj = []
    for _ in range(10):
        opt.zero_grad()
        loss(*ps).backward()
        opt.step()
        traj.append([p.item() for p in ps])
    return traj


out = []
out.append("OPTIM_GOLDEN = [  # (optimizer, kwargs, gradients, params after steps 1..10, state after 10)")
for kind, settings, runner in (("fixed", SETTINGS, run_fixed), ("loss", LOSS_SETTINGS, run_loss)):
    for name, kw in settings:
        ps = params()
        opt = CLASSES[name](ps, foreach=False, **kw)
        traj = runner(opt, ps)
        out.append(f"    ({name!r}, {kw!r}, {kind!r}, [")
        for row in traj:
            out.append(f"        {row!r},")
        out.append(f"    ], {state_of(opt)!r}),")
out.append("]")

# parameter groups
ps = params()
opt = SGD([{"params": [ps[0]], "lr": 0.1}, {"params": [ps[1], ps[2]], "momentum": 0.9}], lr=0.01, foreach=False)
out.append(f"GROUPS_SGD = {run_fixed(opt, ps)[-1]!r}")
ps = params()
opt = Adam([{"params": [ps[0], ps[1]]}, {"params": [ps[2]], "lr": 0.05, "betas": (0.5, 0.9), "amsgrad": True}],
           lr=0.01, foreach=False)
out.append(f"GROUPS_ADAM = {run_fixed(opt, ps)[-1]!r}")

# clipping
CLIP_GRADS = [0.3, -1.2, 0.05, 2.5]
out.append("CLIP_NORM_GOLDEN = [  # (max_norm, norm_type, total norm, clipped grads)")
for max_norm, norm_type in ((1.0, 2.0), (1.0, float("inf")), (0.5, 3.0), (10.0, 1.0), (2.0, 0.5)):
    ps = [torch.tensor(0.0, requires_grad=True) for _ in CLIP_GRADS]
    for p, g in zip(ps, CLIP_GRADS, strict=True):
        p.grad = torch.tensor(g)
    total = clip_grad_norm_(ps, max_norm, norm_type)
    out.append(f"    ({max_norm!r}, {norm_type!r}, {total.item()!r}, {[p.grad.item() for p in ps]!r}),")
out.append("]")
ps = [torch.tensor(0.0, requires_grad=True) for _ in CLIP_GRADS]
for p, g in zip(ps, CLIP_GRADS, strict=True):
    p.grad = torch.tensor(g)
clip_grad_value_(ps, 0.5)
out.append(f"CLIP_VALUE_GOLDEN = {[p.grad.item() for p in ps]!r}")

print("\n".join(out))

# ---------------- schedulers
sched = []


def opt_with(lrs):
    ps = [torch.tensor(0.0, requires_grad=True) for _ in lrs]
    return SGD([{"params": [p], "lr": lr} for p, lr in zip(ps, lrs, strict=True)], foreach=False)


def seq(make, lrs, n=12):
    opt = opt_with(lrs)
    s = make(opt)
    rates = [s.get_last_lr()]
    for _ in range(n):
        opt.step()
        s.step()
        rates.append(s.get_last_lr())
    return rates


sched.append("SCHEDULER_GOLDEN = {  # lr of each group after construction and after each of 12 steps")
sched.append(f"    'StepLR': {seq(lambda o: S.StepLR(o, step_size=3, gamma=0.5), [0.1])!r},")
sched.append(f"    'MultiStepLR': {seq(lambda o: S.MultiStepLR(o, milestones=[8, 2, 5, 5], gamma=0.3), [0.1])!r},")
sched.append(f"    'ExponentialLR': {seq(lambda o: S.ExponentialLR(o, gamma=0.9), [0.1, 0.03])!r},")
opt = opt_with([0.1])
a = S.StepLR(opt, step_size=2, gamma=0.5)
b = S.ExponentialLR(opt, gamma=0.9)
rates = [b.get_last_lr()]
for _ in range(12):
    opt.step()
    a.step()
    b.step()
    rates.append(b.get_last_lr())
sched.append(f"    'chained': {rates!r},")


def resumed(cls, **kw):
    opt = opt_with([0.05])
    opt.param_groups[0]["initial_lr"] = 0.1
    s = cls(opt, last_epoch=4, **kw)
    rates = [s.get_last_lr()]
    for _ in range(6):
        opt.step()
        s.step()
        rates.append(s.get_last_lr())
    return rates


sched.append(f"    'StepLR_resumed': {resumed(S.StepLR, step_size=3, gamma=0.5)!r},")
sched.append(f"    'ExponentialLR_resumed': {resumed(S.ExponentialLR, gamma=0.5)!r},")
sched.append("}")

PLATEAU_CASES = [
    ({"factor": 0.5, "patience": 2}, [0.1],
     [1.0, 0.9, 0.9, 0.95, 0.91, 0.8, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7]),
    ({"mode": "max", "threshold_mode": "abs", "threshold": 0.05, "patience": 1, "cooldown": 2, "factor": 0.3},
     [0.1], [0.1, 0.2, 0.22, 0.23, 0.24, 0.4, 0.41, 0.42, 0.43, 0.44, 0.45, 0.46, 0.47, 0.48]),
    ({"factor": 0.1, "patience": 0, "min_lr": [0.01, 0.002]}, [0.1, 0.01], [1.0] * 8),
    ({"factor": 0.1, "patience": 0}, [2e-8], [1.0] * 5),
    ({"factor": 0.5, "patience": 0, "eps": 1e-7}, [1e-6], [1.0] * 8),
    ({"patience": 1}, [0.1], [1.0, 0.99995, 0.9999, 0.99985, 0.9997, 0.99965, 0.9996, 0.99955, 0.9994]),
    ({"mode": "max", "threshold": 0.1, "patience": 0, "cooldown": 1, "factor": 0.5}, [0.1],
     [-1.0, -0.95, -0.5, -0.5, -0.46, -0.4, -0.3, -0.3, -0.25, -0.1, -0.1, 0.0, 0.0]),
    ({"threshold_mode": "abs", "threshold": 0.1, "patience": 3, "cooldown": 1, "min_lr": 0.03}, [0.1],
     [5.0, 4.95, 4.92, 4.91, 4.9, 4.89, 4.5, 4.45, 4.44, 4.43, 4.42, 4.41, 4.4, 4.39, 4.38, 4.37, 4.36]),
    ({"mode": "max", "patience": 1, "factor": 0.5}, [0.1], [0.5, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7]),
]
sched.append("PLATEAU_GOLDEN = [  # (kwargs, initial lrs, metrics, lrs after each step)")
for kw, lrs, metrics in PLATEAU_CASES:
    opt = opt_with(lrs)
    s = S.ReduceLROnPlateau(opt, **kw)
    got = []
    for m in metrics:
        opt.step()
        s.step(m)
        got.append(s.get_last_lr())
    sched.append(f"    ({kw!r}, {lrs!r}, {metrics!r},\n     {got!r}),")
sched.append("]")
print("\n".join(sched))
