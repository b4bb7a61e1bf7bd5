"""Golden numbers for the PyTorch names added in issue 12, from real PyTorch (float64).

Not part of the test suite: run it with a Python that has torch 2.13.0 installed
(``.venv/bin/python tests/reference/torch_idioms.py``) and paste what it prints:

* ``NADAM_RADAM_GOLDEN`` rows at the end of ``OPTIM_GOLDEN`` in tests/nn/test_optim.py
  (same start, gradients and loss as tests/reference/torch_optim.py);
* ``MORE_SCHEDULER_GOLDEN`` into tests/nn/test_lr_scheduler.py;
* ``NLL_GOLDEN`` and ``SMOOTHING_GOLDEN`` into tests/nn/test_pytorch_idioms.py.
"""
import torch
import torch.nn.functional as F
from torch.optim import SGD, Adam, NAdam, RAdam
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
CLASSES = {"NAdam": NAdam, "RAdam": RAdam}
SETTINGS = [  # (optimizer, gradients, kwargs); RAdam rectifies once rho_t > 5: never for
    # beta2 = 0.5, from step 6 for beta2 = 0.9, from step 6 for beta2 = 0.999
    ("NAdam", "fixed", {}),
    ("NAdam", "fixed", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}),
    ("NAdam", "fixed", {"lr": 0.02, "momentum_decay": 0.01, "weight_decay": 0.05,
                        "decoupled_weight_decay": True, "maximize": True, "eps": 1e-6}),
    ("RAdam", "fixed", {}),
    ("RAdam", "fixed", {"lr": 0.01, "betas": (0.5, 0.9), "weight_decay": 0.1}),
    ("RAdam", "fixed", {"lr": 0.02, "betas": (0.9, 0.5), "weight_decay": 0.05,
                        "decoupled_weight_decay": True, "maximize": True, "eps": 1e-6}),
    ("NAdam", "loss", {"lr": 0.05}),
    ("RAdam", "loss", {"lr": 0.05, "betas": (0.8, 0.9)}),  # rectified from step 6 on
]


def loss(p0, p1, p2):
    return (p0 - 1) ** 2 + 0.5 * (p1 * p2 - 0.3) ** 2 + 0.1 * p2 ** 4


def run(name, kind, kw):
    ps = [torch.tensor(x, requires_grad=True) for x in START]
    opt = CLASSES[name](ps, foreach=False, **kw)
    rows = []
    for t in range(10):
        if kind == "fixed":
            for p, g in zip(ps, GRADS[t], strict=True):
                p.grad = torch.tensor(g)
        else:
            opt.zero_grad()
            loss(*ps).backward()
        opt.step()
        rows.append([p.item() for p in ps])
    state = opt.state_dict()["state"]
    keys = list(state[0])
    return rows, {k: [float(state[i][k]) for i in range(3)] for k in keys}


out = ["NADAM_RADAM_GOLDEN = [  # rows to append to OPTIM_GOLDEN"]
for name, kind, kw in SETTINGS:
    rows, state = run(name, kind, kw)
    out += ["    (", f"        {name!r}, {kind!r},".replace("'", '"'), f"        {kw!r},".replace("'", '"'), "        ["]
    out += [f"            {row!r}," for row in rows]
    out += ["        ],", "        {"]
    out += [f'            "{k}": {v!r},' for k, v in state.items()]
    out += ["        },", "    ),"]
out.append("]")
print("\n".join(out))


# ---------------- schedulers: each group's lr (and momentum) after construction and each step
def opt_with(lrs, cls=SGD, **kw):
    ps = [torch.tensor(0.0, requires_grad=True) for _ in lrs]
    return cls([{"params": [p], "lr": lr} for p, lr in zip(ps, lrs, strict=True)], foreach=False, **kw)


def seq(make, lrs, n=12, cls=SGD, probe=None, **kw):
    opt = opt_with(lrs, cls, **kw)
    s = make(opt)
    rates = [s.get_last_lr()]
    moments = [[probe(g) for g in opt.param_groups]] if probe else None
    for _ in range(n):
        opt.step()
        s.step()
        rates.append(s.get_last_lr())
        if probe:
            moments.append([probe(g) for g in opt.param_groups])
    return (rates, moments) if probe else rates


class Warmup:
    """A callable object with state, as LambdaLR saves its __dict__."""

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.steps)


def resumed(cls, n=6, **kw):
    opt = opt_with([0.05])
    opt.param_groups[0]["initial_lr"] = 0.1
    s = cls(opt, last_epoch=4, **kw)
    rates = [s.get_last_lr()]
    for _ in range(n):
        opt.step()
        s.step()
        rates.append(s.get_last_lr())
    return rates


sched = ["MORE_SCHEDULER_GOLDEN = {  # lrs after construction and after each step"]
cases = {
    "LambdaLR": lambda: seq(lambda o: S.LambdaLR(o, lambda e: 0.95 ** e), [0.1]),
    "LambdaLR_per_group": lambda: seq(
        lambda o: S.LambdaLR(o, [lambda e: 1 / (e + 1), Warmup(4)]), [0.1, 0.03]),
    "LinearLR": lambda: seq(lambda o: S.LinearLR(o), [0.1]),
    "LinearLR_down": lambda: seq(
        lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.2, total_iters=7), [0.1, 0.5]),
    "LinearLR_resumed": lambda: resumed(S.LinearLR, start_factor=0.5, total_iters=8),
    "CosineAnnealingLR": lambda: seq(lambda o: S.CosineAnnealingLR(o, T_max=5), [0.1], n=22),
    "CosineAnnealingLR_eta_min": lambda: seq(
        lambda o: S.CosineAnnealingLR(o, T_max=4, eta_min=0.01), [0.1, 0.05], n=14),
    "CosineAnnealingLR_resumed": lambda: resumed(S.CosineAnnealingLR, T_max=6, eta_min=0.001),
    "chained_Linear_Cosine": None,
}


def chained():
    opt = opt_with([0.1])
    a = S.LinearLR(opt, start_factor=0.25, total_iters=4)
    b = S.CosineAnnealingLR(opt, T_max=10)
    rates = [b.get_last_lr()]
    for _ in range(12):
        opt.step()
        a.step()
        b.step()
        rates.append(b.get_last_lr())
    return rates


cases["chained_Linear_Cosine"] = chained
for key, make in cases.items():
    sched.append(f"    {key!r}: {make()!r},".replace("'", '"'))
sched.append("}")

sched.append("ONECYCLE_GOLDEN = [  # (optimizer, kwargs, lrs, momenta (SGD) or beta1 (Adam) per step)")
ONECYCLE = [
    ("SGD", {"max_lr": 1.0, "total_steps": 10}, [0.1], {"momentum": 0.9}),
    ("SGD", {"max_lr": [0.5, 0.2], "epochs": 3, "steps_per_epoch": 4, "pct_start": 0.25,
             "anneal_strategy": "linear", "div_factor": 10.0, "final_div_factor": 100.0},
     [0.1, 0.1], {"momentum": 0.9}),
    ("SGD", {"max_lr": 0.3, "total_steps": 16, "three_phase": True, "cycle_momentum": False},
     [0.1], {}),
    ("Adam", {"max_lr": 0.01, "total_steps": 12, "base_momentum": 0.8, "max_momentum": 0.9,
              "pct_start": 0.4}, [0.1], {}),
]
for cls_name, kw, lrs, opt_kw in ONECYCLE:
    cls = {"SGD": SGD, "Adam": Adam}[cls_name]
    key = "betas" if cls_name == "Adam" else "momentum"

    def momentum(g, key=key):
        return g[key][0] if key == "betas" else g[key]

    total = kw.get("total_steps") or kw["epochs"] * kw["steps_per_epoch"]
    rates, moments = seq(lambda o, kw=kw: S.OneCycleLR(o, **kw), lrs, n=total, cls=cls,
                         probe=momentum, **opt_kw)
    sched.append(f"    ({cls_name!r}, {kw!r}, {lrs!r}, {opt_kw!r},\n     {rates!r},\n     {moments!r}),"
                 .replace("'", '"'))
sched.append("]")
print("\n".join(sched))

# ---------------- losses: value and gradient
LOGITS = [[0.2, -1.3, 0.7, 2.1], [1.5, 0.1, -0.4, 0.0], [-2.0, 3.0, 0.5, -0.5]]
TARGETS = [2, 0, 1]
LOGP = [[-1.2, -0.3, -2.5, -4.0], [-0.1, -3.0, -2.0, -5.5], [-0.7, -0.9, -1.6, -2.2]]


def value_and_grad(f, data):
    x = torch.tensor(data, requires_grad=True)
    out = f(x)
    out.sum().backward()
    return out.tolist(), x.grad.tolist()


losses = ["NLL_GOLDEN = {  # reduction: (value, gradient) of nll_loss(LOGP, TARGETS)"]
for reduction in ("mean", "sum", "none"):
    v = value_and_grad(lambda x, r=reduction: F.nll_loss(x, torch.tensor(TARGETS), reduction=r), LOGP)
    losses.append(f"    {reduction!r}: {v!r},".replace("'", '"'))
losses.append("}")
losses.append("SMOOTHING_GOLDEN = {  # (epsilon, reduction): (value, gradient) of cross_entropy(LOGITS, TARGETS)")
for eps in (0.1, 0.35, 1.0):
    for reduction in ("mean", "sum", "none"):
        v = value_and_grad(lambda x, e=eps, r=reduction: F.cross_entropy(
            x, torch.tensor(TARGETS), reduction=r, label_smoothing=e), LOGITS)
        losses.append(f"    ({eps!r}, {reduction!r}): {v!r},".replace("'", '"'))
v = value_and_grad(lambda x: F.cross_entropy(x, torch.tensor(1), label_smoothing=0.2), LOGITS[0])
losses.append(f"    (0.2, \"one sample\"): {v!r},")
losses.append("}")
print("\n".join(losses))
