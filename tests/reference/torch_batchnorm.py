"""Golden values for tests/nn/test_regularization.py and tests/nn/test_init.py (torch, float64)."""
import torch

torch.set_default_dtype(torch.float64)
print("torch", torch.__version__)

X1 = [[0.5, -1.2, 2.0], [1.5, 0.3, -0.7], [-0.8, 2.2, 0.1], [0.25, -0.4, 1.3]]
X2 = [[1.0, 0.0, -1.0], [2.0, -0.5, 0.5], [-1.5, 1.0, 0.0], [0.3, 0.7, -2.0], [0.9, -1.1, 1.7]]
W = [1.5, -0.5, 2.0]
B = [0.1, 0.2, -0.3]
C = [[0.3, -1.0, 0.5], [1.2, 0.4, -0.6], [-0.7, 0.9, 0.2], [0.1, -0.3, 1.1]]


def show(name, t):
    print(f"{name} = {t.detach().tolist()!r}")


bn = torch.nn.BatchNorm1d(3)
with torch.no_grad():
    bn.weight.copy_(torch.tensor(W))
    bn.bias.copy_(torch.tensor(B))
x = torch.tensor(X1, requires_grad=True)
y = bn(x)
loss = (torch.tensor(C) * y + 0.1 * y**3).sum()
loss.backward()
show("TRAIN_OUT", y)
print("LOSS =", repr(loss.item()))
show("GRAD_X", x.grad)
show("GRAD_WEIGHT", bn.weight.grad)
show("GRAD_BIAS", bn.bias.grad)
show("RUNNING_MEAN_1", bn.running_mean)
show("RUNNING_VAR_1", bn.running_var)
y2 = bn(torch.tensor(X2))
show("TRAIN_OUT_2", y2)
show("RUNNING_MEAN_2", bn.running_mean)
show("RUNNING_VAR_2", bn.running_var)
print("NUM_BATCHES", bn.num_batches_tracked.item())
bn.eval()
xe = torch.tensor(X1, requires_grad=True)
ye = bn(xe)
show("EVAL_OUT", ye)
(torch.tensor(C) * ye).sum().backward()
show("EVAL_GRAD_X", xe.grad)

cma = torch.nn.BatchNorm1d(3, momentum=None, affine=False)
cma(torch.tensor(X1))
cma(torch.tensor(X2))
show("CMA_RUNNING_MEAN", cma.running_mean)
show("CMA_RUNNING_VAR", cma.running_var)

nostats = torch.nn.BatchNorm1d(3, affine=False, track_running_stats=False).eval()
show("NO_STATS_EVAL_OUT", nostats(torch.tensor(X2)))

gains = {}
for args in [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",),
             ("leaky_relu", 0.2), ("leaky_relu", 0), ("selu",)]:
    gains[args] = torch.nn.init.calculate_gain(*args)
print("GAINS =", gains)
