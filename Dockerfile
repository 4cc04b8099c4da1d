# One image for every service: the compose file picks the entry point. Node 24 runs the TypeScript
# sources directly (type stripping), so there is no build stage to drift from what the tests ran.
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY packages/ packages/
COPY services/ services/
COPY db/ db/
COPY scripts/ scripts/
RUN npm ci --omit=dev --no-audit --no-fund
USER node
CMD ["node", "services/api/src/server.ts"]
