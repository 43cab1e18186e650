"""Clinic insights: what visitors ask, what the article lacks, how often people in crisis reach
the page, with no one's words kept (README "Clinic insights").

- `facts`: one row of facts per bot turn, from the turn marker and the parse result.
- `themes`: what a not-covered question is about (`themes.yml`).
- `broker`: the Rasa event broker that feeds the recorder (endpoints files).
- `store`: the SQLAlchemy tables, the batched writer off the request path, retention, queries.
- `report`: the aggregates the staff see, with small counts suppressed; CSV and a text table.
- `page`: the staff page at /insights (an input channel in credentials.yml).
- `python -m bot.insights` (`make insights`): last week's table in a terminal.
"""
