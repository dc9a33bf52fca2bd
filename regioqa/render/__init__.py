"""Self-contained HTML pages: the bilingual digest, the answers page and the evaluation report
(CSS and script in ``regioqa/data/render/``)."""
