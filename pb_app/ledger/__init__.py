"""The allocation ledger: money allocated to funded projects by signed-off results, what is spent
and returned against it, and how each project's delivery is going."""
