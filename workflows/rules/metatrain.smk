# Meta-training: reproduces the shipped learned components from their configurations (the
# update-rule network of loop-learned, the hop policy of learned) and checks each result
# against the shipped file; a job whose result differs fails.

#: output folder -> (training configuration, the file the training writes)
SHIPPED_TRAININGS = {
    "metatrain": (config["metatrain"]["config"], "optimizer.pt"),
    "metatrain-hop-policy": (config["metatrain"]["hop_policy"], "policy.json"),
}


rule metatrain_one:
    input: lambda w: SHIPPED_TRAININGS[w.training][0]
    output:
        curve=f"{RESULTS}/{{training}}/training_curve.png",
        check=f"{RESULTS}/{{training}}/reproduction.txt",
    wildcard_constraints: training="|".join(SHIPPED_TRAININGS)
    log: f"{RESULTS}/{{training}}/metatrain.log"
    params:
        folder=f"{RESULTS}/{{training}}",
        trained=lambda w: f"{RESULTS}/{w.training}/{SHIPPED_TRAININGS[w.training][1]}",
        workers=config["metatrain"]["workers"],
    threads: config["metatrain"]["workers"]
    resources: mem_mb=4000, runtime=600, tasks=1
    shell:
        "{{ {LOPT} train {input:q} --out {params.folder:q} --workers {params.workers:q} && "
        "{LOPT} optimizer compare {params.trained:q} > {output.check:q}; }} > {log:q} 2>&1"
