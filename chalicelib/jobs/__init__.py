"""Long work (export, bulk certificates) as server-side jobs run by queue-driven workers."""
