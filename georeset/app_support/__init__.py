"""The web page of georeset (`georeset app`, `app.py`): logic kept out of the Gradio layout so it is testable.

- `basemap`: the offline map (gazetteer / Natural Earth polygons as inline SVG);
- `text_results`: what the text tab shows of a geoparsed document (highlights, table, candidates, downloads);
- `imagery`: reading an uploaded Sentinel-2 patch, its true-colour preview and footprint;
- `models`: the models and data loaded once and shared by requests; `AppSettings`;
- `ui`: the Gradio page and its launch; `cli`: `georeset app`.

Only `ui` imports gradio.
"""
