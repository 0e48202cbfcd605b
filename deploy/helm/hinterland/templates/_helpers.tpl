{{- define "hinterland.fullname" -}}
{{- printf "%s-%s" .Release.Name .Values.component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hinterland.labels" -}}
app.kubernetes.io/name: hinterland
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: {{ .Values.component }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "hinterland.selectorLabels" -}}
app.kubernetes.io/name: hinterland
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: {{ .Values.component }}
{{- end -}}

{{- define "hinterland.section" -}}
{{- if eq .Values.component "connector" -}}CONNECTOR{{- else if eq .Values.component "catalog" -}}CATALOG{{- else -}}{{- fail "component must be connector or catalog" -}}{{- end -}}
{{- end -}}
