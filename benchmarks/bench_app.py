"""The product's app plus one trivial callback, for benchmarks/pages.py: the floor that every Dash
request pays on this server (routing, JSON, the framework), measured beside the wall's refresh."""

from dash import Input, Output

from app import app, server  # noqa: F401  (gunicorn serves ``benchmarks.bench_app:server``)


@app.callback(Output("bench-echo", "children"), Input("bench-ping", "n_clicks"))
def echo(n_clicks):
    return n_clicks
