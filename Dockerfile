# syntax=docker/dockerfile:1
# The SmartParking server image. Build: docker build -t smartparking/server:0.1.0 .   (see docs/deploy.md)

# --- build: restore first (a layer that changes only with the project file), then publish Release ---
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/SmartParking.Server/SmartParking.Server.csproj src/SmartParking.Server/
RUN dotnet restore src/SmartParking.Server/SmartParking.Server.csproj
COPY src/SmartParking.Server/ src/SmartParking.Server/
# The chat's NLU training data is embedded into the server assembly from here.
COPY data/chat/nlu/ data/chat/nlu/
RUN dotnet publish src/SmartParking.Server/SmartParking.Server.csproj -c Release -o /app --no-restore -p:UseAppHost=false

# --- runtime: ASP.NET only, files owned by root and not writable by the app's user ---
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# The only places the server writes: its data directory (reading archives; the embedded PostgreSQL is never used
# because ConnectionStrings__Parking is required here) and the temp directory (CSV imports). Both are volumes, so
# the container runs with a read-only root filesystem (docker run --read-only, readOnlyRootFilesystem in Kubernetes).
RUN mkdir -p /var/lib/smartparking && chown "$APP_UID" /var/lib/smartparking
VOLUME ["/var/lib/smartparking", "/tmp"]
ENV ASPNETCORE_ENVIRONMENT=Production \
    ASPNETCORE_URLS=http://+:8080 \
    Mqtt__Host=* \
    Mqtt__Port=1883 \
    Database__DataDirectory=/var/lib/smartparking \
    DOTNET_NOLOGO=1
EXPOSE 8080 1883
# The non-root user the .NET images ship (uid 1654).
USER $APP_UID
# The image has no curl; bash's /dev/tcp asks the readiness endpoint.
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /health/ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dotnet", "SmartParking.Server.dll"]
