"""Pure Block Kit builders: view models in, slack_sdk.models objects out. One module per surface."""
