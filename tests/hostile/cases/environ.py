import os, json
print("R:" + json.dumps(dict(os.environ), sort_keys=True))
