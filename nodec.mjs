globalThis.__nodec=true
