"""budget_guard: the second entry point, which pauses every profile when the budget is spent."""
