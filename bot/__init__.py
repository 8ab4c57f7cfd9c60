"""The Slack channel, the command line and the runtime that wires the channels together."""
