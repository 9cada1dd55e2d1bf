# Helpers the benchmark scripts share (sourced, not run).

# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Field $1 of the JSON object on stdin.
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
# POST of JSON $4 to $1$2 with the API key $3; prints the answer's body.
post() { curl -fsS -X POST "$1$2" -H "Authorization: Bearer $3" -H 'content-type: application/json' -d "$4"; }
