TAG = acme/tool:latest

release:
	docker build -t $(TAG) . && docker push $(TAG)
