{{/*
Names, labels and the pieces every workload shares. A "component context" is
(dict "root" $ "name" <service> "svc" <its values>); <service> is a key of .Values.services or "migrate".
*/}}

{{- define "pacs.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "pacs.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* <fullname>-<component>, within the 63 characters of a DNS label. */}}
{{- define "pacs.componentName" -}}
{{- printf "%s-%s" (include "pacs.fullname" .root | trunc 48 | trimSuffix "-") .name }}
{{- end }}

{{- define "pacs.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels every object of the release carries. */}}
{{- define "pacs.commonLabels" -}}
helm.sh/chart: {{ include "pacs.chart" . }}
app.kubernetes.io/name: {{ include "pacs.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: pacs
{{- end }}

{{/* Selects every pod of the release (the deny-by-default NetworkPolicy). */}}
{{- define "pacs.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "pacs.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "pacs.selectorLabels" -}}
{{ include "pacs.releaseSelectorLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{- define "pacs.labels" -}}
{{ include "pacs.commonLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{/*
What each service talks to (docs/deploy.md, "Data flows"): the dependencies whose secrets it receives and
whose addresses its NetworkPolicy opens. The gateway's routes to the other services are in pacs.routes.
*/}}
{{- define "pacs.dependencies" -}}
gateway: []
stow: [s3, kafka]
qido: [postgresql, kafka]
wado: [postgresql, s3, kafka]
render: [postgresql, s3, kafka]
hl7: [postgresql, kafka]
migrate: [postgresql]
{{- end }}

{{- define "pacs.dependenciesOf" -}}
{{- $all := include "pacs.dependencies" . | fromYaml }}
{{- toYaml (dict "list" (get $all .name | default list)) }}
{{- end }}

{{/* The gateway's routes: setting → service; only enabled services are routed to. */}}
{{- define "pacs.routes" -}}
PACS_STOW_URL: stow
PACS_QIDO_URL: qido
PACS_WADO_URL: wado
PACS_RENDER_URL: render
PACS_WORKLIST_URL: hl7
{{- end }}

{{- define "pacs.httpPort" -}}8080{{- end }}

{{- define "pacs.image" -}}
{{- $image := .root.Values.image }}
{{- if $image.digest }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $image.repository (default .root.Chart.AppVersion $image.tag) }}
{{- end }}
{{- end }}

{{/*
An environment value as a string: lists are joined with commas; whole numbers stay whole (values files give
numbers to templates as float64, and 67108864 would otherwise print as 6.7108864e+07).
*/}}
{{- define "pacs.envValue" -}}
{{- if kindIs "slice" . }}
{{- $items := list }}
{{- range . }}{{ $items = append $items (include "pacs.envValue" .) }}{{ end }}
{{- join "," $items }}
{{- else if kindIs "float64" . }}
{{- if eq (. | int64 | float64) . }}{{ . | int64 }}{{ else }}{{ . }}{{ end }}
{{- else }}
{{- . }}
{{- end }}
{{- end }}

{{/* Settings the chart owns: cluster mode, the address and port the probes and Services use. */}}
{{- define "pacs.managedConfig" -}}
PACS_HTTP_HOST: 0.0.0.0
PACS_HTTP_PORT: {{ include "pacs.httpPort" . | quote }}
PACS_STORAGE: s3
PACS_INDEX: postgres
PACS_BUS: kafka
PACS_DATA_DIR: /tmp/pacs
{{- end }}

{{/* The shared settings as a map of strings: the chart's own, then .Values.config (null entries left out). */}}
{{- define "pacs.sharedConfig" -}}
{{- $out := include "pacs.managedConfig" . | fromYaml }}
{{- range $key, $value := .Values.config }}
{{- if not (kindIs "invalid" $value) }}
{{- $_ := set $out $key (include "pacs.envValue" $value) }}
{{- end }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* One service's own settings as a map of strings: PACS_SERVICE, its routes or ports, then .svc.config. */}}
{{- define "pacs.serviceConfig" -}}
{{- $root := .root }}
{{- $out := dict "PACS_SERVICE" .name }}
{{- if eq .name "gateway" }}
{{- range $setting, $target := include "pacs.routes" $root | fromYaml }}
{{- $targetValues := get $root.Values.services $target }}
{{- if $targetValues.enabled }}
{{- $_ := set $out $setting (printf "http://%s:%s" (include "pacs.componentName" (dict "root" $root "name" $target)) (include "pacs.httpPort" $root)) }}
{{- else }}
{{- $_ := set $out $setting "" }}
{{- end }}
{{- end }}
{{- end }}
{{- if eq .name "hl7" }}
{{- $_ := set $out "PACS_HL7_MLLP_PORT" (include "pacs.envValue" $root.Values.mllp.port) }}
{{- /* The client its calls to the DICOMweb API act as (PACS_AUTH_MODE=jwt); its secret: pacs.secretEnv. */}}
{{- $_ := set $out "PACS_SERVICE_CLIENT_ID" $root.Values.oidc.serviceClient.clientId }}
{{- /* Orders become UPS workitems and priors are warmed through the DICOMweb API, i.e. the gateway. */}}
{{- $_ := set $out "PACS_DICOMWEB_INTERNAL_URL" (printf "http://%s:%s/dicomweb" (include "pacs.componentName" (dict "root" $root "name" "gateway")) (include "pacs.httpPort" $root)) }}
{{- end }}
{{- range $key, $value := (.svc.config | default dict) }}
{{- if not (kindIs "invalid" $value) }}
{{- $_ := set $out $key (include "pacs.envValue" $value) }}
{{- end }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/*
Secret environment variables of the dependencies a component uses, and hl7's service client secret (with a
client id only: without one there is no Secret to read).
*/}}
{{- define "pacs.secretEnv" -}}
{{- $root := .root }}
{{- range $dependency := (include "pacs.dependenciesOf" . | fromYaml).list }}
{{- range $env, $ref := (get $root.Values $dependency).secretEnv }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.name }}
      key: {{ $ref.key }}
{{- end }}
{{- end }}
{{- $client := $root.Values.oidc.serviceClient }}
{{- if and (eq .name "hl7") $client.clientId }}
- name: PACS_SERVICE_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $client.clientSecret.name }}
      key: {{ $client.clientSecret.key }}
{{- end }}
{{- end }}

{{- define "pacs.podSecurityContext" -}}
runAsNonRoot: true
{{- with .Values.securityContext.runAsUser }}
runAsUser: {{ . }}
{{- end }}
{{- with .Values.securityContext.runAsGroup }}
runAsGroup: {{ . }}
{{- end }}
{{- with .Values.securityContext.fsGroup }}
fsGroup: {{ . }}
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "pacs.containerSecurityContext" -}}
runAsNonRoot: true
{{- with .Values.securityContext.runAsUser }}
runAsUser: {{ . }}
{{- end }}
{{- with .Values.securityContext.runAsGroup }}
runAsGroup: {{ . }}
{{- end }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* A one-rule NetworkPolicy list: the ports, and the peers unless empty (an absent to/from means any address). */}}
{{- define "pacs.rule" -}}
{{- $rule := dict "ports" .ports }}
{{- if .peers }}{{ $_ := set $rule .direction .peers }}{{ end }}
{{- toYaml (list $rule) }}
{{- end }}
