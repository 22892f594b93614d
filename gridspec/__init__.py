"""What every layer of GridLedger shares, defined once: roles, channels, org bundles.

The chaincode, the client, the API and the operator's tool all import from here, and
this package imports none of them (nor Fabric): pure data and pure functions.

- :mod:`gridspec.roles`: the role table, who may call which transaction;
- :mod:`gridspec.channels`: the channel naming rules of the consortium;
- :mod:`gridspec.bundle`: the org definition bundle, the public file an organisation
  hands to the others so that they can admit it to a channel.
"""
