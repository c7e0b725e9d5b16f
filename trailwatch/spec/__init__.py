"""The specification: config, event catalog, exclusions, and the one deployment model.

Everything downstream (stacks, replay, audit, drill) reads `Deployment`, built once here:
    load_deployment(config_path=None, env=None) -> Deployment   # config + catalog, validated
    read_config(path) -> Config                                 # `config`
    load_catalog(directories) -> Catalog                        # `catalog`, events/*.yaml
    naming                                                      # names shared with stacks/
"""
