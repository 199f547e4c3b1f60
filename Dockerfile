# copbot in a container: docker build -t copbot . && docker run --env-file copbot.env \
#   -v copbot-data:/data -v ./config.toml:/etc/copbot/config.toml:ro copbot
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY jobs ./jobs
RUN pip install --no-cache-dir . && useradd --system --home /data copbot \
    && mkdir -p /data && chown copbot /data
USER copbot
WORKDIR /data
ENV COPBOT_DATABASE_URL=sqlite:////data/copbot.db
STOPSIGNAL SIGTERM
ENTRYPOINT ["copbot", "--config", "/etc/copbot/config.toml"]
CMD ["run"]
