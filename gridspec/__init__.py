"""What every layer of GridLedger shares, defined once: roles, channels, bundles, readings.

The chaincode, the client, the API and the operator's tool all import from here, and
this package imports none of them (nor Fabric): pure data and pure functions.

- :mod:`gridspec.roles`: the role table, who may call which transaction;
- :mod:`gridspec.channels`: the channel naming rules of the consortium;
- :mod:`gridspec.bundle`: the org definition bundle, the public file an organisation
  hands to the others so that they can admit it to a channel;
- :mod:`gridspec.updates`: channel config update proposals, signatures and receipts;
- :mod:`gridspec.ids`: the one spelling of a client-chosen id;
- :mod:`gridspec.readings`: what a valid interval reading is (units, bounds, interval
  lengths, alignment, the clock skew, retention);
- :mod:`gridspec.reading_bundle`: a meter's day of readings, with a salt per reading and
  a Merkle root (:mod:`gridspec.merkle`), and :mod:`gridspec.signed_bundle`: how it
  travels and is stored with the meter's signature;
- :mod:`gridspec.disclosure`: one reading and its proof, checkable by anyone;
- :mod:`gridspec.collections`: a community channel's private data collections, which
  the chaincode writes and the operator's tool defines on the channel;
- :mod:`gridspec.grid_events`: the kinds of incident the grid-event register keeps;
- :mod:`gridspec.openadr`: OpenADR 3 events as the register, the agents and the
  demand-response effect read them (their windows and payloads);
- :mod:`gridspec.certificates`: the ids of hourly certificates of local solar.
"""
