"""Domain primitives shared by every part of the product (payroll, sandbox, clients, reconciliation)."""
