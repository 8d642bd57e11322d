"""The one-command local stack (moto server + Chalice + static site + queue pump) and demo data.

Not part of the Lambda package: `chalice package` ships only app.py and chalicelib/.
"""
