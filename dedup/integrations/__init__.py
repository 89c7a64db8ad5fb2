"""Steps for other people's pipelines (datatrove); each needs its extra, and says so in one line when missing."""
