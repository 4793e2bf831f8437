{{/* Names and labels. */}}
{{- define "janua.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "janua.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "janua.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "janua.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "janua.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "janua.labels" -}}
helm.sh/chart: {{ include "janua.chart" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: janua
{{- end -}}

{{/* Selector labels of one component: (dict "ctx" . "component" "api"). */}}
{{- define "janua.selectorLabels" -}}
app.kubernetes.io/name: {{ include "janua.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "janua.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "janua.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "janua.secretName" -}}
{{- default (printf "%s-secrets" (include "janua.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "janua.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Drain must cover the time the readiness probe needs to notice (API.md section 2). */}}
{{- define "janua.checkDrain" -}}
{{- $window := mul .Values.probes.readiness.periodSeconds .Values.probes.readiness.failureThreshold -}}
{{- if lt (int .Values.shutdown.drainSeconds) (int $window) -}}
{{- fail (printf "shutdown.drainSeconds (%d) must be >= readiness periodSeconds x failureThreshold (%d)" (int .Values.shutdown.drainSeconds) (int $window)) -}}
{{- end -}}
{{- end -}}

{{- define "janua.terminationGracePeriodSeconds" -}}
{{- add .Values.shutdown.preStopSleepSeconds .Values.shutdown.drainSeconds .Values.shutdown.timeoutSeconds 5 -}}
{{- end -}}

{{/* Restricted-profile security contexts. */}}
{{- define "janua.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "janua.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* secretKeyRef env entry: (dict "ctx" . "name" "DATABASE_URL" "key" "database-url"). */}}
{{- define "janua.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "janua.secretName" .ctx }}
      key: {{ .key }}
{{- end -}}

{{/* A secret value: the explicit one, else the one already stored, else random. */}}
{{- define "janua.secretValue" -}}
{{- if .value -}}
{{- .value -}}
{{- else if hasKey .existing .key -}}
{{- index .existing .key | b64dec -}}
{{- else -}}
{{- randAlphaNum (int (default 48 .length)) -}}
{{- end -}}
{{- end -}}
