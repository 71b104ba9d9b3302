# Inputs of the offline plans (`make tf-plan`, tests/terraform/test_plan*.py):
# a made-up project; nothing here reaches Google Cloud.
project_id = "tokenvend-plan-test"
region     = "europe-west1"

# No waiting: the stand-in applies at once.
api_propagation_seconds     = 0
iam_propagation_seconds     = 0
metrics_propagation_seconds = 0
