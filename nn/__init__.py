"""Neural-network modules on autograd.Value (in progress: see the nn issue)."""
