# Java client (clients/java, Maven) and its example. Included from the root Makefile.
MVN ?= mvn
JAVA_DIR := clients/java
JAVA_JAR := $(JAVA_DIR)/target/eas-client-0.1.0-SNAPSHOT.jar

.PHONY: test-java demo-java java-jar bench-java bench-java-sse bench-java-backpressure

# -q keeps Maven quiet; the Surefire summary (tests run per class, failures) stays visible.
# eas.require.runtime makes the eas-serve tests fail instead of skipping when .venv is missing.
test-java: $(STAMP) ## the Java client: every spec case, client tests, eas serve, then the example
	cd $(JAVA_DIR) && $(MVN) -q -B test -Deas.require.runtime=true -Dsurefire.printSummary=true \
	  -Dsurefire.reportFormat=brief -DtrimStackTrace=true
	@grep -h "Tests run" $(JAVA_DIR)/target/surefire-reports/*.txt
	$(MAKE) --no-print-directory demo-java

java-jar: ## build the Java client jar (no tests)
	cd $(JAVA_DIR) && $(MVN) -q -B package -DskipTests

demo-java: $(STAMP) java-jar ## the Java example (one-liner, batch of 1,000, async, TF request, direct mode) against eas serve
	bash examples/java/run.sh

# The official SDK is resolved by benchmarks/java/pom.xml only, so the client never depends on it; it
# writes logs under the user's home, which points at a temporary directory for the run.
bench-java: java-jar ## Java section: eas-client vs raw java.net.http and the official eas-sdk 2.0.3 -> benchmarks/results/java.md
	@mkdir -p benchmarks/results benchmarks/java/target
	cd benchmarks/java && $(MVN) -q -B dependency:build-classpath -Dmdep.outputFile=target/official.cp
	home=$$(mktemp -d) && java -Duser.home=$$home -cp "$(JAVA_JAR):$$(cat benchmarks/java/target/official.cp)" \
	  benchmarks/java/Bench.java 5 | tee benchmarks/results/java.md; rm -rf $$home

bench-java-sse: java-jar ## Java SSE parse throughput: EasStream vs a raw java.net.http readLine loop -> benchmarks/results/java-sse.md
	@mkdir -p benchmarks/results
	java -cp "$(JAVA_JAR)" benchmarks/java/SseBench.java 7 | tee benchmarks/results/java-sse.md
	java -Xmx64m -cp "$(JAVA_JAR)" benchmarks/java/SseBench.java flat | tee -a benchmarks/results/java-sse.md

# Back-pressure (protocol §14) against examples/capacity under eas serve, the Python section's service:
# fixed vs adaptive concurrency, and the retry budget against an all-503 service (about 2 minutes).
# Writes the "Back-pressure" section of benchmarks/results/java.md. Arguments: inputs, all-503 calls.
bench-java-backpressure: $(STAMP) java-jar ## Java back-pressure rows -> benchmarks/results/java.md
	java -cp "$(JAVA_JAR)" benchmarks/java/Backpressure.java 5000 2000
