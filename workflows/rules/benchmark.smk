# Search-quality benchmark at equal evaluation budgets (see benchmarks/search_quality.py).


rule benchmark:
    output:
        table=f"{RESULTS}/benchmark/search_quality.md",
        plot=f"{RESULTS}/benchmark/search_quality.png",
    log: f"{RESULTS}/benchmark/benchmark.log"
    params:
        systems=config["benchmark"]["systems"],
        methods=config["benchmark"]["methods"],
        budget=config["benchmark"]["budget"],
        seeds=config["benchmark"]["seeds"],
        folder=f"{RESULTS}/benchmark",
    threads: config["benchmark"]["processes"]
    shell:
        "{PYTHON} benchmarks/search_quality.py --systems {params.systems:q} --methods {params.methods:q} "
        "--budget {params.budget:q} --seeds {params.seeds:q} --processes {threads} --out {params.folder:q} --no-write "
        "> {log:q} 2>&1"
