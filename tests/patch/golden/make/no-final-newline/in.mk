publish:
	docker image build -t acme/x:$(VERSION) .
	docker push acme/x:$(VERSION)