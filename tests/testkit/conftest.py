"""pytest's pytester runs the plugin's tests in a scratch directory."""

pytest_plugins = ["pytester"]
