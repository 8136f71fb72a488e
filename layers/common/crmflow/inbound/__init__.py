"""Business events arriving on the EventBridge bus or the events queue: their shapes and handling."""
