"""Public investment: projects, capital plans and disbursement (Law on Public Investment)."""
