{{/* The chart name, overridable. */}}
{{- define "natgw.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's base name: the release name, unless it already contains the chart name. */}}
{{- define "natgw.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The name of a component's objects: <fullname>-<component>. Call with (dict "root" $ "component" "allocator"). */}}
{{- define "natgw.componentName" -}}
{{- printf "%s-%s" (include "natgw.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "natgw.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "natgw.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: natgw
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Labels of a component's objects. Call with (dict "root" $ "component" "allocator"). */}}
{{- define "natgw.componentLabels" -}}
{{ include "natgw.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The labels that select a component's pods; never change them, selectors are immutable. */}}
{{- define "natgw.selectorLabels" -}}
app.kubernetes.io/name: {{ include "natgw.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The image reference: repository plus digest, or tag (default: appVersion). */}}
{{- define "natgw.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* A component's ServiceAccount name. */}}
{{- define "natgw.serviceAccountName" -}}
{{- if .root.Values.serviceAccount.create -}}
{{- include "natgw.componentName" . -}}
{{- else -}}
default
{{- end -}}
{{- end -}}

{{/* The Secret and key holding DATABASE_URL. */}}
{{- define "natgw.databaseSecretName" -}}
{{- default (printf "%s-database" (include "natgw.fullname" .)) .Values.database.existingSecret -}}
{{- end -}}
{{- define "natgw.databaseSecretKey" -}}
{{- if .Values.database.existingSecret -}}{{ .Values.database.existingSecretKey }}{{- else -}}DATABASE_URL{{- end -}}
{{- end -}}

{{/* The Secret holding the NATS user, password and token. */}}
{{- define "natgw.natsSecretName" -}}
{{- default (printf "%s-nats" (include "natgw.fullname" .)) .Values.nats.auth.existingSecret -}}
{{- end -}}

{{/* The Secret holding the api-gateway's tokens file, and its key. */}}
{{- define "natgw.apiTokensSecretName" -}}
{{- default (printf "%s-api-tokens" (include "natgw.fullname" .)) .Values.apiGateway.auth.existingSecret -}}
{{- end -}}
{{- define "natgw.apiTokensSecretKey" -}}
{{- if .Values.apiGateway.auth.existingSecret -}}{{ .Values.apiGateway.auth.existingSecretKey }}{{- else -}}tokens.yaml{{- end -}}
{{- end -}}

{{/* Where the NATS credentials file is mounted; empty without nats.auth.credsSecret. */}}
{{- define "natgw.natsCredsFile" -}}
{{- if .Values.nats.auth.credsSecret -}}/etc/natgw/nats/{{ .Values.nats.auth.credsKey }}{{- end -}}
{{- end -}}

{{/* Where the nkey seed is mounted; empty without nats.auth.nkeySecret. */}}
{{- define "natgw.natsNkeySeedFile" -}}
{{- if .Values.nats.auth.nkeySecret -}}/etc/natgw/nats-nkey/{{ .Values.nats.auth.nkeyKey }}{{- end -}}
{{- end -}}

{{/* A file of the NATS TLS Secret (root: the chart, key: the Secret key); empty without both. */}}
{{- define "natgw.natsTlsFile" -}}
{{- if and .root.Values.nats.tls.secret .key -}}/etc/natgw/nats-tls/{{ .key }}{{- end -}}
{{- end -}}

{{/* ConfigMap entries every service reads (BaseConfig). */}}
{{- define "natgw.commonConfig" -}}
LOG_LEVEL: {{ .Values.logLevel | quote }}
LOG_FORMAT: {{ .Values.logFormat | quote }}
DATABASE_POOL_SIZE: {{ .Values.database.poolSize | quote }}
NATS_URL: {{ .Values.nats.url | quote }}
NATS_STREAM: {{ .Values.nats.stream | quote }}
NATS_STREAM_REPLICAS: {{ .Values.nats.streamReplicas | quote }}
NATS_STREAM_MAX_AGE_SECONDS: {{ .Values.nats.streamMaxAgeSeconds | int64 | quote }}
NATS_STREAM_MAX_BYTES: {{ .Values.nats.streamMaxBytes | int64 | quote }}
NATS_STREAM_MAX_MESSAGES: {{ .Values.nats.streamMaxMessages | int64 | quote }}
NATS_CONSUMER_INACTIVE_SECONDS: {{ .Values.nats.consumerInactiveSeconds | int64 | quote }}
INBOX_RETENTION_SECONDS: {{ .Values.nats.inboxRetentionSeconds | int64 | quote }}
NATS_SUBJECT_PREFIX: {{ .Values.nats.subjectPrefix | quote }}
NATS_CREDS_FILE: {{ include "natgw.natsCredsFile" . | quote }}
NATS_NKEY_SEED_FILE: {{ include "natgw.natsNkeySeedFile" . | quote }}
NATS_TLS_CA_FILE: {{ include "natgw.natsTlsFile" (dict "root" . "key" .Values.nats.tls.caKey) | quote }}
NATS_TLS_CERT_FILE: {{ include "natgw.natsTlsFile" (dict "root" . "key" .Values.nats.tls.certKey) | quote }}
NATS_TLS_KEY_FILE: {{ include "natgw.natsTlsFile" (dict "root" . "key" .Values.nats.tls.keyKey) | quote }}
MIGRATE_ON_START: {{ include "natgw.migrateOnStart" . | quote }}
{{- end -}}

{{/*
The Secret key of a service's DATABASE_URL (call with (dict "root" $ "component" "allocator")):
its own when given, else the migrator's.
*/}}
{{- define "natgw.databaseSecretKeyOf" -}}
{{- $db := .root.Values.database -}}
{{- $own := index $db.services .component -}}
{{- if $db.existingSecret -}}
{{- default $db.existingSecretKey $own.existingSecretKey -}}
{{- else if $own.url -}}
{{- printf "%s-DATABASE_URL" .component -}}
{{- else -}}
DATABASE_URL
{{- end -}}
{{- end -}}

{{/* The Secret key of a NATS credential of a service: "<service>-<key>" with perService. */}}
{{- define "natgw.natsSecretKeyOf" -}}
{{- if .root.Values.nats.auth.perService -}}
{{- printf "%s-%s" .component .key -}}
{{- else -}}
{{- .key -}}
{{- end -}}
{{- end -}}

{{/*
Environment from Secrets a service reads: its database URL and its NATS credentials.
Call with (dict "root" $ "component" "allocator").
*/}}
{{- define "natgw.secretEnv" -}}
{{- $root := .root -}}
{{- $auth := $root.Values.nats.auth -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "natgw.databaseSecretName" $root }}
      key: {{ include "natgw.databaseSecretKeyOf" . }}
# A direct session (LISTEN, advisory locks) when DATABASE_URL is a pooler; unset: DATABASE_URL.
- name: DATABASE_SESSION_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "natgw.databaseSecretName" $root }}
      key: {{ printf "%s-DATABASE_SESSION_URL" .component }}
      optional: true
- name: NATS_USER
  valueFrom:
    secretKeyRef:
      name: {{ include "natgw.natsSecretName" $root }}
      key: {{ include "natgw.natsSecretKeyOf" (dict "root" $root "component" .component "key" $auth.userKey) }}
      optional: true
- name: NATS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "natgw.natsSecretName" $root }}
      key: {{ include "natgw.natsSecretKeyOf" (dict "root" $root "component" .component "key" $auth.passwordKey) }}
      optional: true
- name: NATS_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "natgw.natsSecretName" $root }}
      key: {{ include "natgw.natsSecretKeyOf" (dict "root" $root "component" .component "key" $auth.tokenKey) }}
      optional: true
{{- end -}}

{{/* The Secret holding the API's TLS certificate. */}}
{{- define "natgw.apiTlsSecretName" -}}
{{- default (printf "%s-api-tls" (include "natgw.fullname" .)) .Values.apiGateway.tls.secretName -}}
{{- end -}}

{{/* "true" when the services migrate at start, "false" when the hook Job does. */}}
{{- define "natgw.migrateOnStart" -}}
{{- ternary "false" "true" .Values.database.migrate.job -}}
{{- end -}}

{{/* Volumes every service mounts: a writable /tmp and, when configured, the NATS credentials. */}}
{{- define "natgw.commonVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if .Values.nats.auth.credsSecret }}
- name: nats-creds
  secret:
    secretName: {{ .Values.nats.auth.credsSecret }}
    defaultMode: 288 # octal 0440: read for owner and group
    items:
      - key: {{ .Values.nats.auth.credsKey }}
        path: {{ .Values.nats.auth.credsKey }}
{{- end }}
{{- if .Values.nats.auth.nkeySecret }}
- name: nats-nkey
  secret:
    secretName: {{ .Values.nats.auth.nkeySecret }}
    defaultMode: 288 # octal 0440: read for owner and group
    items:
      - key: {{ .Values.nats.auth.nkeyKey }}
        path: {{ .Values.nats.auth.nkeyKey }}
{{- end }}
{{- if .Values.nats.tls.secret }}
- name: nats-tls
  secret:
    secretName: {{ .Values.nats.tls.secret }}
    defaultMode: 288 # octal 0440: read for owner and group
{{- end }}
{{- end -}}
{{- define "natgw.commonVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.nats.auth.credsSecret }}
- name: nats-creds
  mountPath: /etc/natgw/nats
  readOnly: true
{{- end }}
{{- if .Values.nats.auth.nkeySecret }}
- name: nats-nkey
  mountPath: /etc/natgw/nats-nkey
  readOnly: true
{{- end }}
{{- if .Values.nats.tls.secret }}
- name: nats-tls
  mountPath: /etc/natgw/nats-tls
  readOnly: true
{{- end }}
{{- end -}}

{{/* Liveness, readiness and startup probes on the "http" port (HTTPS with scheme "HTTPS"). */}}
{{- define "natgw.probes" -}}
{{- $scheme := default "HTTP" .scheme -}}
{{- with .root -}}
startupProbe:
  httpGet: { path: /healthz, port: http, scheme: {{ $scheme }} }
  periodSeconds: {{ .Values.probes.startup.periodSeconds }}
  failureThreshold: {{ .Values.probes.startup.failureThreshold }}
  timeoutSeconds: {{ .Values.probes.startup.timeoutSeconds }}
livenessProbe:
  httpGet: { path: /healthz, port: http, scheme: {{ $scheme }} }
  periodSeconds: {{ .Values.probes.liveness.periodSeconds }}
  failureThreshold: {{ .Values.probes.liveness.failureThreshold }}
  timeoutSeconds: {{ .Values.probes.liveness.timeoutSeconds }}
readinessProbe:
  httpGet: { path: /readyz, port: http, scheme: {{ $scheme }} }
  periodSeconds: {{ .Values.probes.readiness.periodSeconds }}
  failureThreshold: {{ .Values.probes.readiness.failureThreshold }}
  timeoutSeconds: {{ .Values.probes.readiness.timeoutSeconds }}
{{- end -}}
{{- end -}}

{{/* Scheduling fields of a pod spec, from a component's values. */}}
{{- define "natgw.scheduling" -}}
{{- with .priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* A PodDisruptionBudget's budget: minAvailable if set, else maxUnavailable. */}}
{{- define "natgw.pdbBudget" -}}
{{- if not (kindIs "invalid" .minAvailable) -}}
minAvailable: {{ .minAvailable }}
{{- else -}}
maxUnavailable: {{ .maxUnavailable }}
{{- end -}}
{{- end -}}
