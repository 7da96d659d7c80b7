"""PipelineOps benchmarks: costs measured side by side in one run and reported as ratios.

``python -m bench [--quick] [--only NAME]`` writes ``bench/results/latest.json`` and ``latest.md``.
See ``bench/README.md`` for what each benchmark measures and how to read it.
"""
