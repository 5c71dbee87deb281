{{/* The release-chart prefix of every object's name. */}}
{{- define "bosun.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object; call with (dict "ctx" $ "component" "hook"). */}}
{{- define "bosun.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: bosun
{{ include "bosun.selectorLabels" . }}
{{- end -}}

{{/* Labels that select a component's pods. */}}
{{- define "bosun.selectorLabels" -}}
app.kubernetes.io/name: {{ default .ctx.Chart.Name .ctx.Values.nameOverride }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}

{{/* A component's image reference; call with (dict "ctx" $ "component" "hook"). */}}
{{- define "bosun.image" -}}
{{- $c := index .ctx.Values .component -}}
{{- $repo := default (printf "%s/%s" .ctx.Values.image.repository .component) $c.image.repository -}}
{{- if $c.image.digest -}}
{{- printf "%s@%s" $repo $c.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (default (default .ctx.Chart.AppVersion .ctx.Values.image.tag) $c.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "bosun.prowJobNamespace" -}}
{{- default .Release.Namespace .Values.prowJobNamespace -}}
{{- end -}}

{{/* The job namespaces, as a JSON list (fromJsonArray it). */}}
{{- define "bosun.jobNamespaces" -}}
{{- if .Values.jobNamespaces -}}
{{- .Values.jobNamespaces | uniq | toJson -}}
{{- else -}}
{{- list .Release.Namespace | toJson -}}
{{- end -}}
{{- end -}}

{{/* Every namespace bosun works in besides its own, as a JSON list. */}}
{{- define "bosun.workNamespaces" -}}
{{- $all := append (include "bosun.jobNamespaces" . | fromJsonArray) (include "bosun.prowJobNamespace" .) -}}
{{- $all | uniq | toJson -}}
{{- end -}}

{{- define "bosun.secretName" -}}
{{- default (printf "%s-secrets" (include "bosun.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{- define "bosun.configMapName" -}}
{{- default (printf "%s-config" (include "bosun.fullname" .)) .Values.existingConfigMap -}}
{{- end -}}

{{/* config.yaml: the user's config with the chart's namespaces as defaults. */}}
{{- define "bosun.config" -}}
{{- $defaults := dict "prowjob_namespace" (include "bosun.prowJobNamespace" .) "pod_namespace" (include "bosun.jobNamespaces" . | fromJsonArray | first) -}}
{{- merge (deepCopy .Values.config) $defaults | toYaml -}}
{{- end -}}

{{/* Flags both binaries take for GitHub. */}}
{{- define "bosun.githubArgs" -}}
{{- if .Values.github.endpoint }}
- --github-endpoint={{ .Values.github.endpoint }}
{{- end }}
{{- if .Values.github.cacheEntries }}
- --github-cache-entries={{ .Values.github.cacheEntries }}
{{- end }}
{{- if .Values.githubApp.enabled }}
- --github-app-id={{ required "githubApp.appID is required with githubApp.enabled" .Values.githubApp.appID }}
- --github-app-installation-id={{ required "githubApp.installationID is required with githubApp.enabled" .Values.githubApp.installationID }}
- --github-app-private-key-path=/etc/bosun/secrets/github-app-private-key
{{- else if or .Values.oauthToken .Values.existingSecret }}
- --github-token-path=/etc/bosun/secrets/oauth
{{- end }}
{{- end -}}

{{/* The pod-level settings both Deployments share; call with (dict "ctx" $ "component" "hook"). */}}
{{- define "bosun.podSpec" -}}
{{- $c := index .ctx.Values .component -}}
serviceAccountName: {{ include "bosun.fullname" .ctx }}-{{ .component }}
automountServiceAccountToken: true
{{- with .ctx.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .ctx.Values.hostNetwork }}
hostNetwork: true
dnsPolicy: ClusterFirstWithHostNet
{{- end }}
securityContext:
  {{- toYaml .ctx.Values.podSecurityContext | nindent 2 }}
{{- with $c.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $c.affinity }}
affinity:
  {{- toYaml $c.affinity | nindent 2 }}
{{- else if gt (int $c.replicaCount) 1 }}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: kubernetes.io/hostname
        labelSelector:
          matchLabels:
            {{- include "bosun.selectorLabels" . | nindent 12 }}
{{- end }}
{{- end -}}

{{/* Environment of every container; call with (dict "ctx" $ "component" "hook"). */}}
{{- define "bosun.env" -}}
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: SYSTEM_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- with .ctx.Values.env }}
{{ toYaml . }}
{{- end }}
{{- with (index .ctx.Values .component).env }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The probes of every container: /healthz (alive) and /readyz on the port named probes. */}}
{{- define "bosun.probes" -}}
livenessProbe:
  httpGet:
    path: /healthz
    port: probes
  timeoutSeconds: 2
  periodSeconds: 10
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /readyz
    port: probes
  # The checks have 2 s together.
  timeoutSeconds: 3
  periodSeconds: 5
  failureThreshold: 2
{{- end -}}

{{/* A component's metrics Service; call with (dict "ctx" $ "component" "hook"). */}}
{{- define "bosun.metricsService" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "bosun.fullname" .ctx }}-{{ .component }}-metrics
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "bosun.labels" . | nindent 4 }}
    bosun.dev/metrics: "true"
spec:
  selector:
    {{- include "bosun.selectorLabels" . | nindent 4 }}
  ports:
  - name: metrics
    port: {{ (index .ctx.Values .component).metricsPort }}
    targetPort: metrics
{{- end -}}

{{/* A component's PodDisruptionBudget; call with (dict "ctx" $ "component" "hook"). */}}
{{- define "bosun.pdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "bosun.fullname" .ctx }}-{{ .component }}
  namespace: {{ .ctx.Release.Namespace }}
  labels:
    {{- include "bosun.labels" . | nindent 4 }}
spec:
  minAvailable: {{ (index .ctx.Values .component).pdb.minAvailable }}
  selector:
    matchLabels:
      {{- include "bosun.selectorLabels" . | nindent 6 }}
{{- end -}}
