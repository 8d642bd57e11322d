"""Domain code of the e-certificate system; `app.py` only wires HTTP and events to it."""
