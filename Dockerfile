FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends make gcc graphviz && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir '.[cpu]'
CMD ["python", "examples/iris/train.py"]
