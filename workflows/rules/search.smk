# Search campaigns: initial structures -> search chunks (pyiron_base jobs, a fixed slice of
# seeds each) -> [refinement rounds: seeds from the ranked minima so far -> basin-hopping
# chunks] -> deduplicated, ranked database -> extxyz export and report.
# Each rule logs its command's output to results/<campaign>/logs/.

LOGS = f"{RESULTS}/{{campaign}}/logs"


rule initial_structures:
    output: f"{RESULTS}/{{campaign}}/initial/{{system}}.extxyz"
    log: f"{LOGS}/initial-{{system}}.log"
    params:
        seeds=lambda w: campaign(w.campaign)["seeds"],
        boundary=lambda w: campaign(w.campaign)["boundary"],
    resources: mem_mb=1000, runtime=5
    shell:
        "{LOPT} init {wildcards.system:q} --seeds {params.seeds:q} --boundary {params.boundary:q} -o {output:q} > {log:q} 2>&1"


rule search_chunk:
    input: starts=f"{RESULTS}/{{campaign}}/initial/{{system}}.extxyz"
    output:
        db=f"{RESULTS}/{{campaign}}/chunks/{{system}}-chunk{{chunk}}.db",
        trace=f"{RESULTS}/{{campaign}}/traces/{{system}}-chunk{{chunk}}.json",
    log: f"{LOGS}/search-{{system}}-chunk{{chunk}}.log"
    params:
        first=lambda w: chunk_seeds(w.campaign, w.chunk)[0],
        seeds=lambda w: chunk_seeds(w.campaign, w.chunk)[1],
        method=lambda w: campaign(w.campaign)["method"],
        budget=lambda w: campaign(w.campaign)["budget"],
        boundary=lambda w: campaign(w.campaign)["boundary"],
        optimizer=lambda w: ["--optimizer", campaign(w.campaign)["optimizer"]] if "optimizer" in campaign(w.campaign) else [],
        bh=lambda w: bh_options(w.campaign),
        project=lambda w: f"{RESULTS}/{w.campaign}/pyiron",
        accelerator=ACCELERATOR,
    threads: lambda w: campaign(w.campaign)["cores_per_chunk"]
    resources: mem_mb=2000, runtime=120, tasks=1
    shell:
        "{LOPT} job search {wildcards.system:q} --project {params.project:q} --name {wildcards.system:q}_chunk{wildcards.chunk:q} "
        "--method {params.method:q} --budget {params.budget:q} --seeds {params.seeds:q} --first-seed {params.first:q} "
        "--boundary {params.boundary:q} --starts {input.starts:q} --accelerator {params.accelerator:q} {params.optimizer:q} {params.bh:q} "
        "--db {output.db:q} --trace {output.trace:q} --cores {threads} --quiet > {log:q} 2>&1"


rule stage_minima:
    input: lambda w: stage_chunk_dbs(w.campaign, w.round)
    output: f"{RESULTS}/{{campaign}}/stages/minima-{{round}}.db"
    log: f"{LOGS}/stage-minima-{{round}}.log"
    resources: mem_mb=2000, runtime=10
    shell: "{LOPT} db merge {output:q} {input:q} > {log:q} 2>&1"


rule refine_seeds:
    input: lambda w: f"{RESULTS}/{w.campaign}/stages/minima-{int(w.round) - 1}.db"
    output: f"{RESULTS}/{{campaign}}/seeds/{{system}}-refine{{round}}.extxyz"
    log: f"{LOGS}/refine-seeds-{{system}}-{{round}}.log"
    params:
        top=lambda w: campaign(w.campaign)["refine"]["top"],
        neighbours=lambda w: campaign(w.campaign)["refine"]["neighbours"],
        first=lambda w: refine_first_seed(w.round),
    resources: mem_mb=1000, runtime=5
    shell:
        "{LOPT} db seeds {input:q} {wildcards.system:q} --top {params.top:q} --neighbours {params.neighbours:q} "
        "--first-seed {params.first:q} -o {output:q} > {log:q} 2>&1"


rule refine_chunk:
    input: f"{RESULTS}/{{campaign}}/seeds/{{system}}-refine{{round}}.extxyz"
    output:
        db=f"{RESULTS}/{{campaign}}/chunks/{{system}}-refine{{round}}.db",
        trace=f"{RESULTS}/{{campaign}}/refine/{{system}}-refine{{round}}.json",
    log: f"{LOGS}/refine-{{system}}-{{round}}.log"
    params:
        budget=lambda w: campaign(w.campaign)["refine"]["budget"],
        seeds=lambda w: refine_seeds_per_system(w.campaign),
        first=lambda w: refine_first_seed(w.round),
        boundary=lambda w: campaign(w.campaign)["boundary"],
        bh=lambda w: bh_options(w.campaign),
        project=lambda w: f"{RESULTS}/{w.campaign}/pyiron",
        accelerator=ACCELERATOR,
    threads: lambda w: campaign(w.campaign)["cores_per_chunk"]
    resources: mem_mb=2000, runtime=120, tasks=1
    shell:
        "{LOPT} job search {wildcards.system:q} --project {params.project:q} --name {wildcards.system:q}_refine{wildcards.round:q} "
        "--method bh --budget {params.budget:q} --seeds {params.seeds:q} --first-seed {params.first:q} "
        "--stage refine{wildcards.round:q} --boundary {params.boundary:q} --starts {input:q} --accelerator {params.accelerator:q} {params.bh:q} "
        "--db {output.db:q} --trace {output.trace:q} --cores {threads} --quiet > {log:q} 2>&1"


rule deduplicate:
    input: lambda w: stage_chunk_dbs(w.campaign, campaign(w.campaign)["refine"]["rounds"])
    output: f"{RESULTS}/{{campaign}}/minima.db"
    log: f"{LOGS}/deduplicate.log"
    resources: mem_mb=2000, runtime=10
    shell: "{LOPT} db merge {output:q} {input:q} > {log:q} 2>&1"


rule export_best:
    input: f"{RESULTS}/{{campaign}}/minima.db"
    output: f"{RESULTS}/{{campaign}}/best.extxyz"
    log: f"{LOGS}/export-best.log"
    params: top=lambda w: campaign(w.campaign)["export_top"]
    shell: "{LOPT} db export {input:q} --top {params.top:q} -o {output:q} > {log:q} 2>&1"


rule report:
    input:
        db=f"{RESULTS}/{{campaign}}/minima.db",
        traces=lambda w: chunk_outputs(w.campaign, "trace"),
    output: f"{RESULTS}/{{campaign}}/report.md"
    log: f"{LOGS}/report.log"
    params:
        folder=lambda w: f"{RESULTS}/{w.campaign}",
        project=lambda w: f"{RESULTS}/{w.campaign}/pyiron",
        title=lambda w: campaign(w.campaign)["title"],
        settings=lambda w: (f"method: {campaign(w.campaign)['method']}; {campaign(w.campaign)['budget']} evaluations "
                            f"per seed; {campaign(w.campaign)['seeds']} seeds"),
        refine=lambda w: refine_note(w.campaign),
    shell:
        "{LOPT} report {params.folder:q} --title={params.title:q} --note={params.settings:q} --note={params.refine:q} "
        "--note=\"$({LOPT} job table {params.project:q} --summary)\" > {log:q} 2>&1"
