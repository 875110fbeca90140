"""Named model configs: one TOML file per model, installed as `rnnzoo.zoo_configs`."""
