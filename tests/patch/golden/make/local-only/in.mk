IMAGE = acme/app:dev

.PHONY: run
run:
	docker build -t $(IMAGE) .
	docker run --rm -it $(IMAGE)
