"""GridLedger's Flask API (application factory, one blueprint per resource).

Not built yet: the network foundation comes first. The API is the subject of the
issue "The Python client and the Flask API, with role-based access to consumption data".
"""
