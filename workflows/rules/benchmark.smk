# Search-quality benchmark at equal evaluation budgets (see benchmarks/search_quality.py).


rule benchmark:
    output:
        table=f"{RESULTS}/benchmark/search_quality.md",
        plot=f"{RESULTS}/benchmark/search_quality.png",
    params:
        systems=" ".join(config["benchmark"]["systems"]),
        methods=" ".join(config["benchmark"]["methods"]),
        budget=config["benchmark"]["budget"],
        seeds=config["benchmark"]["seeds"],
    threads: config["benchmark"].get("processes", 2)
    shell:
        "{PYTHON} benchmarks/search_quality.py --systems {params.systems} --methods {params.methods} "
        "--budget {params.budget} --seeds {params.seeds} --processes {threads} --out {RESULTS}/benchmark --no-write"
