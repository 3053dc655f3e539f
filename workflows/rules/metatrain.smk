# Meta-training: reproduces the shipped learned components from their configurations (the
# update-rule network of loop-learned; the hop policy of learned, trained in stages, each
# starting from the policy of the one before) and checks each against the shipped file; a job
# whose result differs fails.

HOP_STAGES = config["metatrain"]["hop_policy"]
HOP_STAGES = [HOP_STAGES] if isinstance(HOP_STAGES, str) else HOP_STAGES
#: output folder of each hop-policy stage, in order
HOP_FOLDERS = ["metatrain-hop-policy"] + [f"metatrain-hop-policy-stage{k}" for k in range(2, len(HOP_STAGES) + 1)]
#: output folder -> (training configuration, the file the training writes, the folder of the stage it starts from)
TRAININGS = {"metatrain": (config["metatrain"]["config"], "optimizer.pt", None)}
TRAININGS.update({folder: (stage, "policy.json", HOP_FOLDERS[k - 1] if k else None)
                  for k, (folder, stage) in enumerate(zip(HOP_FOLDERS, HOP_STAGES))})
#: the trainings whose result is a shipped file: the network and the last hop-policy stage
SHIPPED_TRAININGS = ["metatrain", HOP_FOLDERS[-1]]


def _trained(training):
    """The file a training writes."""
    return f"{RESULTS}/{training}/{TRAININGS[training][1]}"


def _start(training):
    """The training curve of the stage a stage starts from (none for the first): written with its policy."""
    before = TRAININGS[training][2]
    return [] if before is None else f"{RESULTS}/{before}/training_curve.png"


rule metatrain_train:
    input:
        config=lambda w: TRAININGS[w.training][0],
        start=lambda w: _start(w.training),
    output: f"{RESULTS}/{{training}}/training_curve.png"
    wildcard_constraints: training="|".join(TRAININGS)
    log: f"{RESULTS}/{{training}}/metatrain.log"
    params:
        folder=f"{RESULTS}/{{training}}",
        start=lambda w: ["--start-policy", _trained(TRAININGS[w.training][2])] if TRAININGS[w.training][2] else [],
        workers=config["metatrain"]["workers"],
    threads: config["metatrain"]["workers"]
    resources: mem_mb=4000, runtime=600, tasks=1
    shell:
        "{LOPT} train {input.config:q} --out {params.folder:q} --workers {params.workers:q} {params.start:q} > {log:q} 2>&1"


rule metatrain_check:
    input: f"{RESULTS}/{{training}}/training_curve.png"
    output: f"{RESULTS}/{{training}}/reproduction.txt"
    wildcard_constraints: training="|".join(SHIPPED_TRAININGS)
    log: f"{RESULTS}/{{training}}/reproduction.log"
    params: trained=lambda w: _trained(w.training)
    shell: "{LOPT} optimizer compare {params.trained:q} > {output:q} 2> {log:q}"
