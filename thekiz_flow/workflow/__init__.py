"""The programme file (workflows/*.toml) and the config file, loaded and checked."""
