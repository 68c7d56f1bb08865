IMAGE=acme/win

image:
	-docker build -t $(IMAGE) --load .
	-docker push $(IMAGE)
