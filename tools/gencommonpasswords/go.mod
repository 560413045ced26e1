module occonnect/tools/gencommonpasswords

go 1.26.0

require github.com/trustelem/zxcvbn v1.0.1
