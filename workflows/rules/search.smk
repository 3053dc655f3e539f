# Search campaigns: initial structures -> search chunks (pyiron_base jobs, a fixed slice of
# seeds each) -> [refinement rounds: seeds from the ranked minima so far -> basin-hopping
# chunks] -> deduplicated, ranked database -> extxyz export and report.


rule initial_structures:
    output: f"{RESULTS}/{{campaign}}/initial/{{system}}.extxyz"
    params:
        seeds=lambda w: campaign(w.campaign)["seeds"],
        boundary=lambda w: campaign(w.campaign).get("boundary", "cluster"),
    resources: mem_mb=1000, runtime=5
    shell:
        "{LOPT} init {wildcards.system} --seeds {params.seeds} --boundary {params.boundary} -o {output}"


rule search_chunk:
    input: starts=f"{RESULTS}/{{campaign}}/initial/{{system}}.extxyz"
    output:
        db=f"{RESULTS}/{{campaign}}/chunks/{{system}}-chunk{{chunk}}.db",
        trace=f"{RESULTS}/{{campaign}}/traces/{{system}}-chunk{{chunk}}.json",
    params:
        first=lambda w: chunk_seeds(w.campaign, w.chunk)[0],
        seeds=lambda w: chunk_seeds(w.campaign, w.chunk)[1],
        method=lambda w: campaign(w.campaign)["method"],
        budget=lambda w: campaign(w.campaign)["budget"],
        boundary=lambda w: campaign(w.campaign).get("boundary", "cluster"),
        optimizer=lambda w: f"--optimizer {campaign(w.campaign)['optimizer']}" if "optimizer" in campaign(w.campaign) else "",
        project=lambda w: f"{RESULTS}/{w.campaign}/pyiron",
    threads: 1
    resources: mem_mb=2000, runtime=120, tasks=1
    shell:
        "{LOPT} job search {wildcards.system} --project {params.project} --name {wildcards.system}_chunk{wildcards.chunk} "
        "--method {params.method} --budget {params.budget} --seeds {params.seeds} --first-seed {params.first} "
        "--boundary {params.boundary} --starts {input.starts} --accelerator {ACCELERATOR} {params.optimizer} "
        "--db {output.db} --trace {output.trace} --quiet"


rule stage_minima:
    input: lambda w: stage_chunk_dbs(w.campaign, w.round)
    output: f"{RESULTS}/{{campaign}}/stages/minima-{{round}}.db"
    resources: mem_mb=2000, runtime=10
    shell: "{LOPT} db merge {output} {input}"


rule refine_seeds:
    input: lambda w: f"{RESULTS}/{w.campaign}/stages/minima-{int(w.round) - 1}.db"
    output: f"{RESULTS}/{{campaign}}/seeds/{{system}}-refine{{round}}.extxyz"
    params:
        top=lambda w: refine_settings(w.campaign)["top"],
        neighbours=lambda w: refine_settings(w.campaign)["neighbours"],
        first=lambda w: refine_first_seed(w.round),
    resources: mem_mb=1000, runtime=5
    shell:
        "{LOPT} db seeds {input} {wildcards.system} --top {params.top} --neighbours {params.neighbours} "
        "--first-seed {params.first} -o {output}"


rule refine_chunk:
    input: f"{RESULTS}/{{campaign}}/seeds/{{system}}-refine{{round}}.extxyz"
    output:
        db=f"{RESULTS}/{{campaign}}/chunks/{{system}}-refine{{round}}.db",
        trace=f"{RESULTS}/{{campaign}}/refine/{{system}}-refine{{round}}.json",
    params:
        budget=lambda w: refine_settings(w.campaign)["budget"],
        seeds=lambda w: refine_settings(w.campaign)["seeds"],
        first=lambda w: refine_first_seed(w.round),
        boundary=lambda w: campaign(w.campaign).get("boundary", "cluster"),
        project=lambda w: f"{RESULTS}/{w.campaign}/pyiron",
    threads: 1
    resources: mem_mb=2000, runtime=120, tasks=1
    shell:
        "{LOPT} job search {wildcards.system} --project {params.project} --name {wildcards.system}_refine{wildcards.round} "
        "--method bh --budget {params.budget} --seeds {params.seeds} --first-seed {params.first} --stage refine{wildcards.round} "
        "--boundary {params.boundary} --starts {input} --accelerator {ACCELERATOR} "
        "--db {output.db} --trace {output.trace} --quiet"


rule deduplicate:
    input: lambda w: stage_chunk_dbs(w.campaign, refine_settings(w.campaign)["rounds"])
    output: f"{RESULTS}/{{campaign}}/minima.db"
    resources: mem_mb=2000, runtime=10
    shell: "{LOPT} db merge {output} {input}"


rule export_best:
    input: f"{RESULTS}/{{campaign}}/minima.db"
    output: f"{RESULTS}/{{campaign}}/best.extxyz"
    params: top=lambda w: campaign(w.campaign).get("export_top", 1)
    shell: "{LOPT} db export {input} --top {params.top} -o {output}"


rule report:
    input:
        db=f"{RESULTS}/{{campaign}}/minima.db",
        traces=lambda w: chunk_outputs(w.campaign, "trace"),
    output: f"{RESULTS}/{{campaign}}/report.md"
    params:
        title=lambda w: campaign(w.campaign).get("title", w.campaign),
        method=lambda w: campaign(w.campaign)["method"],
        budget=lambda w: campaign(w.campaign)["budget"],
        seeds=lambda w: campaign(w.campaign)["seeds"],
        refine=lambda w: refine_note(w.campaign),
    shell:
        "{LOPT} report {RESULTS}/{wildcards.campaign} --title '{params.title}' "
        "--note 'method: {params.method}; {params.budget} evaluations per seed; {params.seeds} seeds' "
        "--note '{params.refine}' "
        "--note \"$({LOPT} job table {RESULTS}/{wildcards.campaign}/pyiron --summary)\""
