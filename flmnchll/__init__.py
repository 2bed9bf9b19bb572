"""FLMnCHLL business rules, shared by every function and worker."""
