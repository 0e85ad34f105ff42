"""The query layer: load what a command, a dashboard view or a notebook needs, once.

Each function takes an open :class:`rotation.data.store.Store` and plain
parameters, reads the store, calls the pure analytics and returns frozen
dataclasses (JSON-ready through :func:`rotation.jsonable.to_jsonable`).  Notes
for the user (members left out, survivor bias) come back in ``notes`` instead
of being printed: the CLI prints them to stderr, the dashboard shows them.

* :mod:`rotation.query.prices`: operands (symbols, ``@basket``) and universe prices;
* :mod:`rotation.query.pair`: ratio line, events, ranks in either direction;
* :mod:`rotation.query.rotation`: RRG of a universe, quadrant transitions, pair scans;
* :mod:`rotation.query.breadth`: breadth of a constituent set, confirmation of a pair's day;
* :mod:`rotation.query.positioning`: CFTC positioning, flows, sentiment, a day's positioning block;
* :mod:`rotation.query.positioning`: CFTC positioning, flows, sentiment, a day's positioning block;
* :mod:`rotation.query.positioning`: CFTC positioning and sentiment as known at a date;
* :mod:`rotation.query.trades`: saved plans and journal entries with their stop distances.
"""
