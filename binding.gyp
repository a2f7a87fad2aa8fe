{
  "targets": [
    {
      "target_name": "proc_connector",
      "sources": ["adapters/proc-connector/native/proc_connector.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-O2"],
      "defines": ["NAPI_VERSION=8"],
      "conditions": [
        ["OS!='linux'", { "type": "none", "sources!": ["adapters/proc-connector/native/proc_connector.c"] }]
      ]
    }
  ]
}
